// A timeline as a Mermaid gantt chart, for a GitHub job summary (wrap it in a ```mermaid fence).
import { formatDuration } from '../../common/duration';
import type { TimelineEntry } from './timeline';

/** Entries before any environment's (resolve, build, test) go here. */
export const RELEASE_SECTION = 'release';

type Tag = 'done' | 'crit' | 'active' | 'milestone';

interface Task {
  section: string;
  name: string;
  tags: Tag[];
  start: number;
  end: number;
}

/**
 * A gantt chart on epoch-millisecond dates: a section per environment (the release's own steps
 * first), a bar per activity, timer and child workflow (`done`, or `crit` when it failed, or
 * `active` while it runs), and a milestone per signal, update and end of a workflow.
 *
 * Several timelines may be concatenated (a promotion's and its stages'): each workflow's entries
 * join their environment's section.
 */
export function mermaidOf(title: string, timeline: TimelineEntry[]): string {
  const lastMs = timeline.reduce((max, e) => Math.max(max, Date.parse(e.at), 'endedAt' in e && e.endedAt ? Date.parse(e.endedAt) : 0), 0);
  const sections = sectionsOf(timeline);
  const tasks: Task[] = [];
  let workflowType = 'workflow';
  timeline.forEach((entry, i) => {
    if (entry.kind === 'workflow' && entry.state === 'started') workflowType = entry.workflowType ?? 'workflow';
    const task = taskOf(entry, workflowType, lastMs);
    if (task) tasks.push({ section: sections[i], ...task });
  });

  const lines = ['gantt', `    title ${escapeText(title)}`, '    dateFormat x', '    axisFormat %H:%M:%S', '    todayMarker off'];
  const order = [...new Set(tasks.map((t) => t.section))];
  let id = 0;
  for (const section of order) {
    lines.push(`    section ${escapeText(section)}`);
    const inSection = tasks.filter((t) => t.section === section).sort((a, b) => a.start - b.start); // stable: ties keep history order
    for (const task of inSection) {
      id += 1;
      lines.push(`    ${escapeText(task.name)} :${task.tags.join(', ')}, t${id}, ${task.start}, ${Math.max(task.start, task.end)}`);
    }
  }
  return lines.join('\n') + '\n';
}

/**
 * The section of each entry: its own environment when its payload named one; a timer waits for
 * what comes next (the approval timer before the environment's lock), so it takes the next
 * entry's environment; anything else stays in the section of what came before it.
 * Each workflow start begins afresh, so concatenated timelines do not bleed into each other.
 */
function sectionsOf(timeline: TimelineEntry[]): string[] {
  const sections: string[] = [];
  let current: string | undefined;
  timeline.forEach((entry, i) => {
    if (entry.kind === 'workflow' && entry.state === 'started') current = undefined;
    const own = 'environment' in entry ? entry.environment : undefined;
    const section = own ?? (entry.kind === 'timer' ? nextEnvironment(timeline, i) : undefined) ?? current ?? RELEASE_SECTION;
    if (own) current = own;
    sections.push(section);
  });
  return sections;
}

function nextEnvironment(timeline: TimelineEntry[], from: number): string | undefined {
  for (const entry of timeline.slice(from + 1)) {
    if (entry.kind === 'workflow') return undefined;
    if ('environment' in entry && entry.environment) return entry.environment;
  }
  return undefined;
}

function taskOf(entry: TimelineEntry, workflowType: string, lastMs: number): Omit<Task, 'section'> | undefined {
  const start = Date.parse(entry.at);
  const end = (endedAt: string | undefined) => (endedAt ? Date.parse(endedAt) : lastMs);
  const milestone = (name: string, failed = false): Omit<Task, 'section'> => ({ name, tags: failed ? ['crit', 'milestone'] : ['milestone'], start, end: start });
  switch (entry.kind) {
    case 'activity': {
      const attempts = entry.attempts > 1 ? ` (${entry.attempts} attempts)` : '';
      return { name: `${entry.summary ?? entry.name}${attempts}`, tags: [barTag(entry.state)], start, end: end(entry.endedAt) };
    }
    case 'timer':
      return { name: entry.summary ?? `timer ${formatDuration(entry.durationMs)}`, tags: [barTag(entry.state)], start, end: end(entry.endedAt) };
    case 'child':
      return { name: entry.summary ?? `${entry.workflowType} ${entry.workflowId}`, tags: [barTag(entry.state)], start, end: end(entry.endedAt) };
    case 'signal':
      return milestone(entry.by ? `${entry.name} by ${entry.by}` : entry.name, entry.name === 'reject' || entry.name === 'abort');
    case 'update': {
      const what = [entry.name, entry.decision, entry.by ? `by ${entry.by}` : undefined].filter(Boolean).join(' ');
      const refused = entry.state === 'rejected' || entry.state === 'failed';
      return milestone(refused ? `${what} (${entry.state})` : what, refused || entry.decision === 'reject');
    }
    case 'workflow':
      if (entry.state === 'started') return undefined;
      return milestone(`${workflowType} ${entry.state}`, !['completed', 'continued-as-new'].includes(entry.state));
  }
}

function barTag(state: string): Tag {
  if (['failed', 'timed-out', 'terminated', 'start-failed'].includes(state)) return 'crit';
  if (['completed', 'fired', 'cancelled'].includes(state)) return 'done';
  return 'active';
}

/** Words that begin a statement in a gantt chart: a task name starting with one would be read as it. */
const KEYWORD_START =
  /^(?:gantt|dateformat|inclusiveenddates|topaxis|axisformat|tickinterval|includes|excludes|todaymarker|weekday|weekend|title|section|click|call|href|accdescription|acctitle|accdescr)\b|^\d{4}-\d\d-\d\d/i;

/**
 * Text Mermaid can read on one line: `:` ends a task's name, `#`, `;` and `%` start comments or end
 * data, so they become Mermaid's entity codes (`#58;`), shown as the character itself. A leading
 * keyword gets its first letter encoded the same way.
 */
export function escapeText(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim() || '(unnamed)';
  const escaped = oneLine.replace(/[#:;%]/g, (c) => `#${c.charCodeAt(0)};`);
  return KEYWORD_START.test(escaped) ? `#${escaped.charCodeAt(0)};${escaped.slice(1)}` : escaped;
}
