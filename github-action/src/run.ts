import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as core from '@actions/core';
import * as github from '@actions/github';
import {
  DEFAULT_POLICY,
  TOOL_VERSION,
  analyzeDockerfile,
  buildInstructionAnalyzer,
  evaluatePolicy,
  loadPolicy,
  renderReport,
  resolvePolicy,
  scan,
  severityRank,
  toAnalyzerOptions,
  toEnabledScanners,
  type Evaluation,
  type Finding,
  type RenderOptions,
  type ResolvedPolicy,
  type ScanResult,
  type SourceOptions,
} from '../../core/src/index.js';
import { planAnnotations } from './annotations.js';
import { readBaselineFingerprints, splitByBaseline } from './baseline.js';
import { upsertComment, COMMENTS_PER_PAGE, type CommentApi } from './comment.js';
import { readInputs, type ActionInputs } from './inputs.js';
import { pushResult } from './push.js';
import { renderSummary, toCommentMarker } from './summary.js';

/** What one run decided; `run` sets outputs and the step's status from it. */
export interface RunOutcome {
  decision: Evaluation['verdict']['decision'];
  /** The decision that gates the step: the whole scan's, or only the new findings' with a baseline. */
  gateDecision: Evaluation['verdict']['decision'];
  failed: boolean;
}

async function scanTarget(
  inputs: ActionInputs,
  policy: ResolvedPolicy,
  now: () => Date,
): Promise<ScanResult> {
  let result: ScanResult;
  if (inputs.image !== undefined) {
    const source: SourceOptions = {};
    if (inputs.registryUsername !== undefined) {
      source.username = inputs.registryUsername;
      source.password = inputs.registryPassword as string;
    }
    result = await scan(inputs.image, {
      scanners: inputs.scanners ?? toEnabledScanners(policy).filter((s) => s !== 'inventory'),
      dbPath: inputs.db,
      source,
      analyzerOptions: toAnalyzerOptions(policy),
      analyzerSettings: { malware: { hashDbFiles: policy.scanners.malware.hashDbFiles ?? [] } },
      now,
    });
  } else {
    result = {
      schemaVersion: 1,
      image: { ref: inputs.dockerfile as string, configDigest: '', layers: [] },
      packages: [],
      findings: [],
      notes: [],
      analyzers: { [buildInstructionAnalyzer.name]: buildInstructionAnalyzer.version },
      scannedAt: now().toISOString(),
    };
  }
  if (inputs.dockerfilePath !== undefined && inputs.dockerfile !== undefined) {
    const text = await readFile(inputs.dockerfilePath, 'utf8');
    result.findings.push(...analyzeDockerfile(text, inputs.dockerfile));
    result.dockerfile = inputs.dockerfile;
  }
  return result;
}

async function writeText(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

function toCommentApi(token: string): CommentApi | undefined {
  const pr = github.context.payload.pull_request;
  if (!pr || token === '') return undefined;
  const octokit = github.getOctokit(token);
  const { owner, repo } = github.context.repo;
  const issue_number = pr.number;
  return {
    async listComments(page) {
      const res = await octokit.rest.issues.listComments({
        owner,
        repo,
        issue_number,
        per_page: COMMENTS_PER_PAGE,
        page,
      });
      return res.data;
    },
    async createComment(body) {
      const res = await octokit.rest.issues.createComment({ owner, repo, issue_number, body });
      return { id: res.data.id };
    },
    async updateComment(comment_id, body) {
      await octokit.rest.issues.updateComment({ owner, repo, comment_id, body });
    },
  };
}

function isShown(f: Finding, inputs: ActionInputs): boolean {
  return inputs.severity === undefined || severityRank(f.severity) >= severityRank(inputs.severity);
}

/** One Action run: scan, report, annotate, summarise, comment, push; returns what the step should do. */
export async function run(env: NodeJS.ProcessEnv = process.env): Promise<RunOutcome> {
  const inputs = readInputs(core, env, github.context.eventName);
  // masked before anything can print them (a registry error, a debug line)
  if (inputs.registryPassword !== undefined) core.setSecret(inputs.registryPassword);
  if (inputs.registryUsername !== undefined) core.setSecret(inputs.registryUsername);
  if (inputs.githubToken !== '') core.setSecret(inputs.githubToken);

  const now = (): Date => new Date();
  const policy = resolvePolicy(
    inputs.policy !== undefined ? await loadPolicy(inputs.policy) : DEFAULT_POLICY,
  );
  const result = await scanTarget(inputs, policy, now);
  // a Dockerfile alone has no installed packages: no vulnerability DB is needed to judge it (as the CLI's `dockerfile`)
  const judging =
    inputs.image === undefined ? { ...policy, scanners: { ...policy.scanners, vuln: false } } : policy;
  const evaluation = evaluatePolicy(result, judging, { now: now() });

  // "only new": findings already in the base branch's report are listed but do not gate
  const baseline =
    inputs.baselineReport !== undefined ? readBaselineFingerprints(inputs.baselineReport) : undefined;
  const { fresh, known } = splitByBaseline(result.findings, baseline);
  const gate = baseline
    ? evaluatePolicy({ ...result, findings: fresh }, judging, { now: now() })
    : evaluation;
  const freshOpen = gate.findings.filter((f) => f.suppressedBy === undefined);

  const renderOpts: RenderOptions = { now: now(), newId: randomUUID, toolVersion: TOOL_VERSION };
  const shownOpts: RenderOptions = {
    ...renderOpts,
    ...(inputs.severity ? { severity: inputs.severity } : {}),
  };
  // the JSON report keeps every finding (it is the next run's baseline); SARIF and the summary show per `severity`
  await writeText(inputs.report, renderReport('json', result, evaluation, renderOpts));
  await writeText(inputs.sarif, renderReport('sarif', result, evaluation, shownOpts));

  const plan = planAnnotations(
    freshOpen.filter((f) => isShown(f, inputs)),
    result,
  );
  for (const a of plan.emit) {
    const props: core.AnnotationProperties = { title: a.title };
    if (a.file !== undefined) props.file = a.file;
    if (a.startLine !== undefined) props.startLine = a.startLine;
    if (a.endLine !== undefined) props.endLine = a.endLine;
    core[a.level](a.message, props);
  }

  const failed = inputs.fail && gate.verdict.decision === 'deny';
  const reasons = gate.verdict.reasons;
  const gateLine =
    gate.verdict.decision === 'deny'
      ? `${inputs.fail ? 'failed' : 'would fail (`fail: false`)'} — the policy denies${baseline ? ' new findings' : ''}: ${reasons[0] ?? ''}${reasons.length > 1 ? ` (+${reasons.length - 1} more reasons)` : ''}`
      : `passed (${gate.verdict.decision}${baseline ? ' on new findings' : ''})`;
  const target = [inputs.image ?? '', inputs.dockerfile ?? ''].join('\0');
  const marker = toCommentMarker(`${env.GITHUB_WORKFLOW ?? ''}/${env.GITHUB_JOB ?? ''}`, target);
  const summary = renderSummary(
    result,
    evaluation,
    {
      gate: gateLine,
      newFindings: freshOpen.length,
      knownFindings: known.length,
      baseline: baseline !== undefined,
      annotations: plan,
    },
    marker,
    shownOpts,
  );
  if (env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(summary, true).write();

  if (inputs.comment) {
    const api = toCommentApi(inputs.githubToken);
    if (!api) {
      core.info('comment: not a pull_request event (or no github-token); no PR comment');
    } else {
      const outcome = await upsertComment(api, marker, summary);
      if (outcome.action === 'forbidden') {
        core.warning(
          `comment: the token may not comment on this PR (${outcome.message}); a fork PR's token is read-only — the check still reports`,
        );
      } else if (outcome.action === 'failed') {
        core.warning(`comment: could not write the PR comment (${outcome.message}); the check still reports`);
      } else {
        core.info(`comment: ${outcome.action} #${outcome.id}`);
      }
    }
  }

  core.setOutput('verdict', evaluation.verdict.decision);
  core.setOutput(
    'counts',
    JSON.stringify({
      byType: evaluation.verdict.counts.byType,
      bySeverity: evaluation.verdict.counts.bySeverity,
    }),
  );
  core.setOutput('new-findings', String(freshOpen.length));
  core.setOutput('sarif', inputs.sarif);
  core.setOutput('report', inputs.report);

  // after the reports, summary and outputs: a refused push fails the step (PUSH_…) but loses nothing
  if (inputs.pushUrl !== undefined && inputs.pushAudience !== undefined) {
    const pushed = await pushResult(result, inputs.pushUrl, inputs.pushAudience);
    core.info(`push: ${pushed}`);
  }

  if (failed) core.setFailed(`Portcullis: ${gateLine}`);
  else core.info(`Portcullis: verdict ${evaluation.verdict.decision}; check ${gateLine}`);
  return { decision: evaluation.verdict.decision, gateDecision: gate.verdict.decision, failed };
}
