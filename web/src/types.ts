// The shapes the dashboard reads from the REST API, taken from the contract: src/generated/api.ts
// is generated from docs/openapi.yaml by openapi-typescript (`npm run gen:types`, run by every
// build), so a field the API documents is a field the dashboard can read, and a field it does not
// document is a type error. Figures that cannot be computed arrive as null. Method-2 fields
// (statistics.md) are optional: analyses stored by method 1 do not have them.
import type { components, operations } from './generated/api';

type S = components['schemas'];
/** The `data` of an operation's JSON success envelope. */
type Data<Op extends keyof operations, Code extends keyof operations[Op]['responses']> =
  operations[Op]['responses'][Code] extends { content: { 'application/json': infer B } }
    ? B extends { data?: infer D } ? NonNullable<D> : never
    : never;

export type ExperimentStatus = S['ExperimentStatus'];
export type ExpectedOutcome = S['ExpectedOutcome'];
export type Direction = S['ImprovementDirection'];
export type Verdict = S['Verdict'];

/** An experiment; list items and the detail add `economicImpact` (the newest total, no interval). */
export type Experiment = S['Experiment'] & { economicImpact?: number | null };
export type ExperimentList = S['ExperimentList'];
export type ExperimentDetail = Omit<S['ExperimentDetails'], 'experiment'> & { experiment: Experiment };
export type CreateExperimentResponse = S['CreateExperimentResponse'];
export type TimePoint = S['TimeSeriesPoint'];
export type ExperimentResult = S['ExperimentResult'];
export type MetricResults = ExperimentResult['metrics'][string];
export type Interval = S['Interval'];
export type DidResult = S['DidResult'];
export type SequentialInterval = S['SequentialInterval'];
export type MetricImpact = S['MetricBreakdown'];
export type EconomicImpact = S['EconomicImpact'];
export type Srm = S['Srm'];
export type MetricSnapshot = S['MetricValueSnapshot'];
export type ExperimentAnalysis = S['ExperimentAnalysis'];
export type ResultsResponse = S['ExperimentResultsData'];
export type PipelineEvent = S['Event'];
export type PipelineJob = S['Job'];
export type EventsResponse = S['ExperimentEvents'];
export type UploadSummary = S['UploadSummary'];
export type MetricValue = S['MetricValue'];
export type Decision = S['Decision'];
export type DecisionsResponse = Data<'listExperimentDecisions', 200>;
export type MetricHistoryEntry = S['HistoryEntry'];
export type AnalysesResponse = Data<'listExperimentAnalyses', 200>;
export type CurrentAnalysisResponse = Data<'getCurrentAnalysis', 200>;
export type MetricValuesResponse = Data<'listMetricValues', 200>;
export type UpdateMetricResponse = Data<'updateMetricValue', 200>;
export type MetricHistoryResponse = Data<'getMetricValueHistory', 200>;

/** One entry of an error's `details`, as the client normalises it (the API sends `path` as text). */
export interface ErrorDetail {
  path: string | (string | number)[];
  message: string;
  code?: string;
}

/** POST /plans (issue 15): minimum detectable effects and dollars by duration. */
export type Plan = S['Plan'];
export type PlanRequest = S['PlanRequest'];
/** The plan promised at creation, stored with the experiment. */
export type ExperimentPlan = S['ExperimentPlan'];

// --- segments (issue 17) -----------------------------------------------------------------------
// From the generated types (docs/openapi.yaml); every field optional there, because analyses
// stored before segments existed do not carry them.

/** dimension -> segment -> its analysis (the overall's figures for the segment's series). */
export type AnalysisSegments = NonNullable<ExperimentAnalysis['segments']>;
/** One segment's analysis: didResults, economicImpact (dollars scaled by its trafficShare), srm. */
export type SegmentAnalysis = AnalysisSegments[string][string];
/** dimension -> metric id -> the heterogeneity test. */
export type AnalysisHeterogeneity = NonNullable<ExperimentAnalysis['heterogeneity']>;
/** Cochran's Q over the segment estimates of one metric within one dimension. */
export type Heterogeneity = AnalysisHeterogeneity[string][string];
/** An analysis document with its segment figures (the same type: they are optional fields). */
export type SegmentedAnalysis = ExperimentAnalysis;
/** `results.dimensions`: dimension -> its segments, sorted (`{}` without segments). */
export type Dimensions = NonNullable<ExperimentResult['dimensions']>;
/** `data.results` with the dimensions of its segments. */
export type ResultsWithDimensions = ExperimentResult;
/** GET /experiments/{id}/results?dimension=X: the results data plus that dimension's series. */
export type DimensionResultsResponse = ResultsResponse & Required<Pick<ResultsResponse, 'dimension' | 'segments'>>;
/** One segment's hourly series (the upload's shape). */
export type SegmentSeries = S['SegmentSeries'];
