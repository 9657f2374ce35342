import { installMocks } from "./mocks";

installMocks();
