// A promotion's status with the live steps of the environment being promoted: the stage child
// keeps its own steps while it runs, and the promotion takes them over only when it ends.
import type { Client } from '@temporalio/client';
import { stageStatusQuery, statusQuery } from '../common/messages';
import type { PromotionStatus } from '../common/status';

export async function liveStatus(client: Client, workflowId: string): Promise<PromotionStatus> {
  const status = await client.workflow.getHandle(workflowId).query(statusQuery);
  const environments = await Promise.all(
    status.environments.map(async (env) => {
      if (env.state !== 'running' || !env.stageWorkflowId) return env;
      const stage = await client.workflow
        .getHandle(env.stageWorkflowId)
        .query(stageStatusQuery)
        .catch(() => undefined); // not started yet, or just finished: the promotion's copy will do
      return stage ? { ...env, steps: [...env.steps, ...stage.steps] } : env;
    }),
  );
  return { ...status, environments };
}
