import { installMocks } from "./mocks";

installMocks();

// Unit tests never read the developer's chart cache: the plan's chart-version
// check sees no index (a warning), unless a test points it at a fixture.
process.env.PICLUSTER_CHARTS_DIR = "/nonexistent/picluster-charts-in-unit-tests";
