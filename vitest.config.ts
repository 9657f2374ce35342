import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts", "components/**/*.test.ts", "stacks/**/*.test.ts", "policy/**/*.test.ts"],
        exclude: ["test/e2e/**", "node_modules/**"],
        // setMocks must run before any component module registers resources.
        setupFiles: ["test/helpers/setup.ts"],
        testTimeout: 30_000,
        // beforeAll hooks build whole stacks under mocks, like tests do.
        hookTimeout: 30_000,
        pool: "forks",
    },
});
