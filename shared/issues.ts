/**
 * Validation issues (zod's) turned into messages that name each bad place, written once for the
 * HTTP routes that read bodies and for the event codec.
 * @module
 */
import type { z } from "zod";

/** One problem: where (a path into the value) and what. */
export interface IssueView {
  path: (string | number)[];
  message: string;
}

/** The issues as plain data, e.g. for an error body's `issues`. */
export function issueViews(issues: readonly z.core.$ZodIssue[]): IssueView[] {
  return issues.map((issue) => ({
    path: issue.path.map((part) => typeof part === "symbol" ? String(part) : part),
    message: issue.message,
  }));
}

/** A path as people write it: `orders[2].item`. */
export function placeOf(path: readonly (string | number)[]): string {
  return path.reduce<string>(
    (text, part) => typeof part === "number" ? `${text}[${part}]` : text ? `${text}.${part}` : part,
    "",
  );
}

/** Options of {@linkcode describeIssues}. */
export interface DescribeOptions {
  /**
   * The messages name their field already (the shared field schemas say "quantity must be..."),
   * so only the enclosing place is added (a batch index), not the field again.
   */
  messagesNameTheirField?: boolean;
  /** What to call the value itself, for an issue about the whole of it. */
  root?: string;
}

/** Every issue in one sentence, each with its place: `orders[1]: item must not be empty; ...`. */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  options: DescribeOptions = {},
): string {
  return issueViews(issues).map((view, index) => {
    // An unknown-key issue's path is the object itself; its message names the key.
    const ownPlace = options.messagesNameTheirField && issues[index]!.code !== "unrecognized_keys";
    const place = placeOf(ownPlace ? view.path.slice(0, -1) : view.path) || options.root;
    return place ? `${place}: ${view.message}` : view.message;
  }).join("; ");
}
