/**
 * The Pulumi SDK captures a stack trace for every internal promise it
 * creates, and with source maps each capture is costly: it was most of the
 * program's evaluation time (see docs/decisions.md). Our own errors carry
 * messages that name the key and the fix, so stacks are off by default;
 * PICLUSTER_STACK_TRACE_LIMIT=50 brings them back for debugging.
 */
export function limitStackTraces(env: NodeJS.ProcessEnv = process.env): number {
    const requested = Number(env.PICLUSTER_STACK_TRACE_LIMIT ?? 0);
    Error.stackTraceLimit = Number.isFinite(requested) && requested >= 0 ? requested : 0;
    return Error.stackTraceLimit;
}
