# otel-gateway-scaler image: built JavaScript on Node 24 LTS with production dependencies only.
# Stage 1 compiles the scaler and bundles the dashboard page (npm run build); stage 2 installs the
# production dependencies on their own; the final stage copies both and nothing of the toolchain.
FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.ts ./scripts/build.ts
COPY proto ./proto
COPY forecasting ./forecasting
COPY src ./src
COPY deploy/examples/gateway/scaled-object.yaml ./deploy/examples/gateway/scaled-object.yaml
RUN npm run build

FROM node:24-slim AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: no production dependency needs one, and none then runs at image build time.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24-slim
ENV NODE_ENV=production
# Memory: a 1 MiB young-generation semi-space, one V8 helper thread and two malloc arenas keep RSS
# near the heap in use; the old generation is capped at 160 MiB so the heap is collected instead of
# grown past the Deployment's 256 Mi limit (npm run bench:grpc and bench:memory measure with these).
ENV NODE_OPTIONS="--max-semi-space-size=1 --v8-pool-size=1 --max-old-space-size=160" MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json LICENSE ./

# Numeric, so Kubernetes' runAsNonRoot can verify it; the Helm chart and deploy/base run as the same user.
USER 10001:10001

# gRPC for KEDA, HTTP for the dashboard, /metrics, /healthz and /readyz.
EXPOSE 6000 8080

# Exec form with node itself (no shell, no npm) so SIGTERM reaches the scaler and it shuts down gracefully.
ENTRYPOINT ["node", "dist/main.js"]
