// What a failed stage child hands its parent (a promotion or a rollback).
import { ApplicationFailure } from '@temporalio/workflow';
import type { EnvironmentStatus } from '../common/status';

/** The stage's final status travels as the failure's details when it fails. */
export function findDetails(error: unknown): EnvironmentStatus | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e instanceof ApplicationFailure && e.details?.[0]) return e.details[0] as EnvironmentStatus;
  }
  return undefined;
}
