# otel-gateway-scaler: runs the TypeScript sources with tsx (no build step). All dependencies are
# installed, not only production ones: the dashboard bundles its page with esbuild and uPlot at
# start-up, and both are devDependencies.
FROM node:20-slim

ENV NODE_ENV=production
# Memory: a 1 MiB young-generation semi-space, one V8 helper thread and two malloc arenas keep RSS
# near the heap in use (npm run bench:grpc measures with the same settings).
ENV NODE_OPTIONS="--max-semi-space-size=1 --v8-pool-size=1" MALLOC_ARENA_MAX=2
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json ./
COPY proto ./proto
COPY forecasting ./forecasting
COPY src ./src

# Numeric, so Kubernetes' runAsNonRoot can verify it; matches deploy/base/scaler-deployment.yaml.
USER 10001:10001

# gRPC for KEDA, HTTP for the dashboard, /metrics, /healthz and /readyz.
EXPOSE 6000 8080

# node directly (not npm) so SIGTERM reaches the process and it can shut down gracefully.
ENTRYPOINT ["node", "--import", "tsx", "src/main.ts"]
