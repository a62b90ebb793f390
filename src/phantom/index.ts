export { generatePhantom, type Phantom, type PhantomOptions } from './generate';
export { PHANTOM_LABELS, type LabelEntry } from './labels';
export { mulberry32, hashSeed } from './prng';
export { DEMO_CASE, parseSeeds, phantomCase, type CaseKind } from './cases';
export { CONTRAST_PHASES, type ContrastPhase } from './hu';
