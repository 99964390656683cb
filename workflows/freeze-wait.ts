import { condition } from '@temporalio/workflow';
import { activeFreezeWindow, describeFreezeWindow, freezeEndsAt, type FreezeWindow } from '../common/freeze-windows';

/**
 * Waits, durably, until no freeze window is open. Returns how the wait ended; `onFrozen`
 * hears what the freeze is and when it ends, for the status and the Web UI.
 */
export async function waitOutFreezeWindows(windows: FreezeWindow[], onFrozen: (description: string, endsAt: Date) => void, interrupted: () => boolean): Promise<'open' | 'interrupted'> {
  for (;;) {
    const now = Date.now();
    const endsAt = freezeEndsAt(windows, now);
    if (endsAt === undefined) return 'open';
    const description = describeFreezeWindow(activeFreezeWindow(windows, now)!);
    onFrozen(description, new Date(endsAt));
    const wasInterrupted = await condition(interrupted, endsAt - now, { summary: `freeze: ${description}` });
    if (wasInterrupted) return 'interrupted';
  }
}
