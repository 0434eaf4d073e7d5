import type { Report } from "../config/issues";
import type { StackConfig } from "../config/schema";

/** Cross-field rules of the inference section (placeholder until the P/D issue). */
export function inferenceRules(_c: StackConfig, _report: Report): void {}
