import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts", "components/**/*.test.ts", "config/**/*.test.ts", "plan/**/*.test.ts", "policy/**/*.test.ts"],
        // test/charts: the chart layer, its own run (vitest.charts.config.ts, npm run test:charts).
        exclude: ["test/e2e/**", "test/charts/**", "node_modules/**"],
        // setMocks must run before any component module registers resources.
        setupFiles: ["test/helpers/setup.ts"],
        testTimeout: 30_000,
        // beforeAll hooks build whole stacks under mocks, like tests do.
        hookTimeout: 30_000,
        pool: "forks",
    },
});
