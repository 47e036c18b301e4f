// Compiled (not run) against the taxonomy the server serves: every line marked @ts-expect-error
// must fail to compile, and tsc fails if one of them compiles, so this file proves the types bite.
import { Dashboard } from "../../src/index.js";
import type { TelemetryEvent } from "../generated/telemetry.js";

const telemetry = new Dashboard<TelemetryEvent>({ host: "http://localhost", writeKey: "wk" });

telemetry.track("USER_REGISTERED", { referralSource: "newsletter", planType: "free" });
telemetry.track("PROJECT_CREATED", { projectId: "p-1", templateUsed: "kanban" });
telemetry.track("FEATURE_ENGAGED", { featureName: "search", clickTarget: "header" });

// @ts-expect-error an event the taxonomy does not have
telemetry.track("USER_REGISTRED", { referralSource: "newsletter", planType: "free" });
// @ts-expect-error a value outside the enum
telemetry.track("USER_REGISTERED", { referralSource: "newsletter", planType: "gold" });
// @ts-expect-error a property of the wrong type
telemetry.track("PROJECT_CREATED", { projectId: 7, templateUsed: "kanban" });
// @ts-expect-error a required property missing
telemetry.track("FEATURE_ENGAGED", { featureName: "search" });
