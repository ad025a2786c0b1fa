# Builds and runs the Slipway platform; see docs/deploy.md.
#   docker build -t slipway .
#   docker run -p 5000:5000 -v slipway-data:/var/lib/slipway slipway            # the platform
#   docker run ... slipway worker --backend-store-uri postgresql://... ...      # a job worker
FROM node:20-slim AS build
# better-sqlite3 compiles from source when no prebuilt binary fits (README: python3, make, g++).
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
# The README asks for npm 11; node:20 images ship npm 10.
RUN npm install -g npm@11
WORKDIR /app
# Manifests first, so the dependency layer is rebuilt only when they change.
COPY package.json package-lock.json ./
COPY packages/contracts/package.json packages/contracts/
COPY packages/server/package.json packages/server/
COPY packages/sdk/package.json packages/sdk/
COPY packages/ui/package.json packages/ui/
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
ENV NODE_ENV=production \
    SLIPWAY_HOST=0.0.0.0 \
    SLIPWAY_PORT=5000 \
    SLIPWAY_DATA_DIR=/var/lib/slipway
WORKDIR /app
COPY --from=build /app /app
RUN mkdir -p /var/lib/slipway && chown node:node /var/lib/slipway
USER node
EXPOSE 5000
VOLUME /var/lib/slipway
# No HEALTHCHECK: the same image runs workers, which have no HTTP port. Probe /readyz (platform
# and `slipway serve`) from the orchestrator instead, as deploy/kubernetes/ does.
ENTRYPOINT ["node", "packages/server/dist/main.js"]
CMD ["server"]
