/** A table of figures: the terminal, the CSV and the HTML report render the same one. */
export interface Table {
  title: string;
  rows: Record<string, string | number | boolean | null>[];
  /** Plain sentences under the table (verdicts, what limited a figure). */
  notes?: string[];
}
