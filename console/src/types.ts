/** The API's answers as the console reads them (shapes from shared/http/openapi.yaml). */
import type { GateDecision } from '../../shared/domain/pipeline/quality-gate.js';
import type { ModelsOverview } from '../../shared/use-cases/models.js';

export type { AbReport, ArmReport, SlotReport } from '../../shared/domain/measurement/ab-report.js';
export type { GateDecision, ModelsOverview };

export interface Run {
  runId: string;
  machine: 'scoring' | 'personalize';
  status: string;
  startedAt: string;
  stoppedAt?: string;
  failedState?: string;
  error?: string;
  cause?: string;
  states?: { name: string; ms: number; count: number; failures: number }[];
}

export interface Recommendations {
  recommendationId: string;
  userId: string;
  slot?: string;
  experiment?: string;
  arm: string;
  itemList: {
    itemId: string;
    score: number;
    source: string;
    reason?: string[];
    metadata?: Record<string, string>;
  }[];
  degraded: boolean;
}

export interface NgItem {
  itemId: string;
  reason?: string;
  createdAt: number;
}
