import { defineConfig } from "vitest/config";

/*
 * The chart test layer (npm run test:charts): the real charts rendered from
 * the program's values and checked. It needs the chart cache (npm run charts)
 * and helm + pod-security from the toolchain, and fails, never skips, when
 * they are missing. `npm test` leaves it out; CI runs it as its own job.
 */
export default defineConfig({
    test: {
        include: ["test/charts/**/*.test.ts"],
        testTimeout: 300_000,
        hookTimeout: 600_000,
        pool: "forks",
        fileParallelism: false,
    },
});
