// `ferry envs -o mermaid`: what runs where as a Mermaid flowchart, for a GitHub job summary.
import { oneLine, summarize, type EnvironmentView, type Health } from './summary';

/**
 * Label text Mermaid shows as written: inside a quoted label only `"` would end it, but `#`, `;`,
 * `<`, `>` and `&` are read as entities or HTML, so everything but plain characters becomes
 * Mermaid's entity code (`#35;`), which it shows as the character itself.
 */
export function escapeLabel(text: string): string {
  return text.replace(/[^A-Za-z0-9 ._:/@()+,=-]/gu, (c) => `#${c.codePointAt(0)};`);
}

const STYLES: Record<Health, string> = {
  live: 'fill:#e6f4ea,stroke:#1e8e3e',
  busy: 'fill:#fef7e0,stroke:#f9ab00',
  failed: 'fill:#fce8e6,stroke:#d93025',
  unknown: 'fill:#f1f3f4,stroke:#9aa0a6,stroke-dasharray:4',
  empty: 'fill:#ffffff,stroke:#9aa0a6',
};

/**
 * A node per app, and one per environment of it (in the order given) with its version, age, state
 * and the promotions waiting for its approval, coloured by health. Node IDs are counters: names
 * never reach Mermaid's syntax, only its labels.
 */
export function envsMermaid(views: EnvironmentView[], now: number): string {
  const lines = ['flowchart LR'];
  const apps = new Map<string, string>();
  views.forEach((view, i) => {
    let appNode = apps.get(view.app);
    if (!appNode) {
      appNode = `app${apps.size + 1}`;
      apps.set(view.app, appNode);
      lines.push(`    ${appNode}(["${escapeLabel(view.app)}"])`);
    }
    const s = summarize(view, now);
    const label = [view.environment, s.version, [s.state, s.age].filter(Boolean).join(' · '), s.waiting && `waiting for approval: ${s.waiting}`]
      .filter(Boolean)
      .map((part) => escapeLabel(oneLine(part, 200)))
      .join('<br/>');
    lines.push(`    ${appNode} --> env${i + 1}["${label}"]:::${s.health}`);
  });
  for (const [health, style] of Object.entries(STYLES)) lines.push(`    classDef ${health} ${style}`);
  return lines.join('\n');
}

/** Fenced for GitHub markdown (a job summary, a comment). */
export const fencedMermaid = (views: EnvironmentView[], now: number) => ['```mermaid', envsMermaid(views, now), '```'].join('\n');
