/** Contract every bench section (loading, inference, later meshing, editing) implements. */
export interface BenchOptions {
  /** Repetitions per measurement (median reported). */
  reps: number;
  /** Whether --reps was given (sections with long runs may default to fewer). */
  repsGiven?: boolean;
  /** Regenerate cached inputs. */
  regen: boolean;
  /** Free-form filters (e.g. loaders=voxseg,dcmjs) parsed from --key=value arguments. */
  filters: Record<string, string>;
}

export interface GoalCheck {
  what: string;
  target: string;
  actual: string;
  met: boolean;
  /** Printed for information only; not counted as a goal. */
  info?: boolean;
}

export interface SectionResult {
  title: string;
  /** Markdown printed to stdout (tables + notes). */
  markdown: string;
  /** Machine-readable results, stored under results.json → sections[name]. */
  data: unknown;
  goals: GoalCheck[];
}

export interface BenchSection {
  name: string;
  run(opts: BenchOptions): Promise<SectionResult>;
}
