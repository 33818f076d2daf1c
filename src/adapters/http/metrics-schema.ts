/** GET /metrics as /openapi.json describes it (the route: metrics.ts). */
import Type from "typebox";
import { ERROR } from "./routes/admin/schemas.ts";

export const METRICS_SCHEMA = {
  summary: "Prometheus metrics of this process (text exposition format)",
  tags: ["meta"],
  description: "Behind `Authorization: Bearer <METRICS_TOKEN>` when METRICS_TOKEN is set.",
  security: [],
  response: {
    200: {
      description: "The Prometheus text exposition format (version 0.0.4).",
      content: { "text/plain": { schema: Type.String() } },
    },
    401: {
      description: "unauthorized: METRICS_TOKEN is set and the request does not carry it.",
      content: { "application/json": { schema: ERROR } },
    },
  },
};
