# One image for every Node service (worker, API, portal, local identity, migrations); the
# compose file picks the entry point. Node 24 LTS, as the project is tested on.
# Stage 1: everything needed to build (compilers for sqlite3's native module, dev dependencies).
FROM node:24-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# npm ci, or npm install from the same lock when a mirror left other platforms' optional packages out (see scripts/bootstrap.mjs).
RUN npm ci --no-audit --no-fund || npm install --no-audit --no-fund
COPY . .
RUN cd web && npx svelte-kit sync && npx vite build
# Only runtime dependencies go on: the build tools and test libraries stay behind.
RUN npm prune --omit=dev --no-audit --no-fund

# Stage 2: the runtime, without compilers, running as the unprivileged `node` user.
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=root:root /app /app
# Writable places only: the data and attachments volumes (named volumes inherit this ownership).
RUN mkdir -p /data /attachments && chown node:node /data /attachments
USER node
EXPOSE 3000 3001 3002 3005
CMD ["node", "--import", "tsx", "api/server.ts"]
