/**
 * Hounsfield values of the phantom's tissues. `HU` is the default look (a portal-venous-like
 * contrast phase); `contrastPhase` gives the organs and vessels of the other phases, as the
 * varied phantoms used for training draw them.
 */
export const HU = {
  air: -1000,
  fat: -100,
  visceralFat: -90,
  muscle: 50,
  liver: 60,
  spleen: 50,
  kidneyCortex: 165,
  kidneyMedulla: 130,
  sinus: -60,
  aorta: 180,
  ivc: 130,
  cortical: 1000,
  cancellous: 380,
  arch: 700,
  disc: 90,
  csf: 15,
  lung: -850,
  heart: 110,
  rib: 650,
  gas: -950,
} as const;

export type HuTable = { -readonly [K in keyof typeof HU]: number };

export const CONTRAST_PHASES = ['native', 'arterial', 'portal', 'delayed'] as const;
export type ContrastPhase = (typeof CONTRAST_PHASES)[number];

/** Enhancing tissues per phase (typical abdominal CT values); the rest keeps `HU`. */
const PHASE_HU: Record<ContrastPhase, Partial<HuTable>> = {
  native: { liver: 58, spleen: 46, kidneyCortex: 35, kidneyMedulla: 30, aorta: 42, ivc: 40, heart: 40 },
  arterial: { liver: 72, spleen: 115, kidneyCortex: 190, kidneyMedulla: 85, aorta: 300, ivc: 70, heart: 250 },
  portal: { liver: 110, spleen: 115, kidneyCortex: 175, kidneyMedulla: 165, aorta: 165, ivc: 150, heart: 150 },
  delayed: { liver: 85, spleen: 80, kidneyCortex: 125, kidneyMedulla: 140, aorta: 110, ivc: 105, heart: 100 },
};

/** The HU table of one contrast phase, each enhancing value moved by `jitter(name)` HU. */
export function contrastPhase(phase: ContrastPhase, jitter: (name: string) => number): HuTable {
  const out: HuTable = { ...HU };
  for (const [k, v] of Object.entries(PHASE_HU[phase])) out[k as keyof HuTable] = v + jitter(k);
  return out;
}
