// The shapes the dashboard reads from the REST API (shared/spec/api-contracts.md and statistics.md).
// Figures that cannot be computed arrive as null.

export type ExperimentStatus = 'draft' | 'running' | 'complete' | 'archived';
export type ExpectedOutcome = 'positive' | 'negative' | 'neutral';
export type Direction = 'increase' | 'decrease';

export interface Experiment {
  id: string;
  name: string;
  description: string;
  status: ExperimentStatus;
  metrics: string[];
  startDate: string;
  endDate: string;
  expectedOutcome: ExpectedOutcome;
  createdAt: string;
  updatedAt: string;
  implementationCost: number | null;
  confidenceLevel: number;
  trafficSplit: number;
  dataSource: 'simulated' | 'imported';
  /** Only in list responses: totalImpact of the newest complete analysis. */
  economicImpact?: number | null;
}

export interface Pagination {
  total: number;
  limit: number;
  offset: number;
  hasMore: boolean;
}

export interface ExperimentList {
  experiments: Experiment[];
  pagination: Pagination;
  summary: {
    totalExperiments: number;
    completedExperiments: number;
    totalEconomicImpact: number;
  };
}

export interface ExperimentDetail {
  experiment: Experiment;
  hasResults: boolean;
  hasAnalysis: boolean;
  participantCount?: number;
}

export interface CreateExperimentResponse {
  experimentId: string;
  status: 'draft';
  message: string;
  estimatedCompletionTime: string;
}

export interface TimePoint {
  timestamp: string;
  treatmentValue: number | null;
  controlValue: number | null;
  treatmentSampleSize: number;
  controlSampleSize: number;
}

export interface MetricResults {
  timeSeries: TimePoint[];
  summary: {
    treatmentMean: number | null;
    controlMean: number | null;
    totalTreatmentSamples: number;
    totalControlSamples: number;
  };
}

export interface ExperimentResult {
  experimentId?: string;
  metrics: Record<string, MetricResults>;
  generatedAt: string;
  experimentPeriod: { startDate: string; endDate: string; totalHours: number };
}

export interface Interval {
  lower: number;
  upper: number;
}

export interface DidResult {
  method: 'did' | 'paired';
  treatmentMean: number | null;
  controlMean: number | null;
  preTreatmentMean: number | null;
  preControlMean: number | null;
  absoluteDifference: number | null;
  relativeDifference: number | null;
  standardError: number | null;
  degreesOfFreedom: number | null;
  tStatistic: number | null;
  pValue: number | null;
  adjustedPValue: number | null;
  significant: boolean;
  confidenceLevel: number;
  confidenceInterval: Interval | null;
  relativeConfidenceInterval: Interval | null;
  sampleSizeControl: number;
  sampleSizeTreatment: number;
  effectSize: number | null;
  probabilityOfImprovement: number | null;
  minimumDetectableEffect: number | null;
  postHours: number;
  preHours: number;
  excludedHours: number;
  parallelTrends: { slope: number; pValue: number | null; violated: boolean } | null;
  warnings: string[];
}

export interface MetricImpact {
  dollarImpact: number | null;
  dailyDollarImpact: number | null;
  metricValueUsed: number;
  metricChange: number | null;
  dollarImpactInterval: Interval | null;
  unitSize: number;
  improvementDirection: Direction;
}

export interface EconomicImpact {
  totalImpact: number;
  totalImpactInterval: Interval | null;
  probabilityOfPositiveImpact: number | null;
  annualizedImpact: number;
  significantImpact: number;
  roiPercentage: number | null;
  durationDays: number;
  metricBreakdown: Record<string, MetricImpact>;
}

export interface Srm {
  chiSquare: number | null;
  pValue: number | null;
  detected: boolean;
  expectedTreatmentShare: number;
  observedTreatmentShare: number | null;
}

export interface ExperimentAnalysis {
  experimentId: string;
  analysisId: string;
  didResults: Record<string, DidResult>;
  economicImpact: EconomicImpact | null;
  metricValuesSnapshot: Record<string, { dollarsPerUnit: number; description: string; unit: string; unitSize?: number; improvementDirection?: Direction; name?: string }>;
  analysisTimestamp: string;
  experimentPeriod: { startDate: string; endDate: string; durationDays: number };
  status: 'processing' | 'complete' | 'failed';
  version: string;
  srm: Srm | null;
  correction: 'holm' | 'fdr_bh';
  alpha: number;
  error?: string | null;
}

export interface ResultsResponse {
  experiment: Experiment;
  results: ExperimentResult | null;
  analysis: ExperimentAnalysis | null;
}

export type EventType = 'EXPERIMENT_CREATED' | 'RESULTS_INSERT' | 'RESULTS_MODIFY' | 'ANALYSIS_REQUESTED';

export interface PipelineEvent {
  eventId: string;
  eventType: EventType | string;
  createdAt: string;
}

export interface PipelineJob {
  jobId: string;
  kind: 'generate_results' | 'analyze' | string;
  status: 'queued' | 'running' | 'done' | 'failed';
  attempts: number;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface EventsResponse {
  events: PipelineEvent[];
  jobs: PipelineJob[];
}

export interface MetricValue {
  metricId: string;
  name: string;
  description: string;
  unit: string;
  category: string;
  dollarsPerUnit: number;
  improvementDirection: Direction;
  unitSize: number;
  lastUpdated: string;
  updatedBy?: string | null;
  version: number;
  validationRules?: { minValue?: number; maxValue?: number; decimalPlaces?: number } | null;
}

export interface MetricValuesResponse {
  metrics: MetricValue[];
  categories: string[];
  totalMetrics: number;
}

export interface MetricHistoryEntry {
  version: number;
  dollarsPerUnit: number;
  updatedAt: string;
  updatedBy?: string | null;
  changeReason?: string | null;
}

export interface UpdateMetricResponse {
  metric: MetricValue;
  previousValue: number;
  impactedExperiments: number;
}

/** One entry of an error's `details` (Zod-issue-like). */
export interface ErrorDetail {
  path: string | (string | number)[];
  message: string;
  code?: string;
}
