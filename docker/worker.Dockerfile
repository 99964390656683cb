# syntax=docker/dockerfile:1
# The Ferry worker that docker-compose.yml runs: the build of this repository (npm run build:
# the compiled code and the workflow bundle made at build time), its production dependencies,
# and the tools the activities call. Built from the repository root:
#   docker build -f docker/worker.Dockerfile .
# (docker/worker.Dockerfile.dockerignore keeps node_modules, dist and local state out.)
#
# Node.js 20 as the project targets (engines: >=20.19); 20.20.2 is the last Node 20 image
# (Node 20 reached end of life on 2026-04-30), so move to node:22 or node:24 when the
# project does.

# Stage 1: the build, with the development dependencies it needs (TypeScript).
# `npm install`, not `npm ci`: lock files written on one platform lack the others' optional
# binaries (see .ci/run).
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
RUN npm run build

# Stage 2: what runs. No TypeScript, no ts-node: bin/ferry.js runs dist/, and the worker loads
# dist/workflow-bundle.js instead of bundling its workflows at start-up.
FROM node:20.20.2-bookworm-slim

# git: resolving refs and checking commits out. pg_dump, pg_restore and psql: backups,
# migrations and restores. They must be at least the database server's major version and
# Debian bookworm ships 15, so they come from PostgreSQL's apt repository (its key ships in
# postgresql-common). Match PG_CLIENT_MAJOR to the newest server your pipelines touch.
ARG PG_CLIENT_MAJOR=16
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git openssh-client postgresql-common \
 && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \
 && apt-get install -y --no-install-recommends "postgresql-client-${PG_CLIENT_MAJOR}" \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so a code change does not reinstall them; production ones only.
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force

# The build, and the plain scripts the CLI loads from the checkout (the embedded PostgreSQL of
# `ferry dev`, which the CLI loads along with the worker command).
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY scripts ./scripts

# Everything the worker keeps between restarts lives under /var/lib/ferry (a volume in
# docker-compose.yml): local-target state (FERRY_STATE_DIR, set there), git mirrors, backups.
ENV FERRY_GIT_CACHE=/var/lib/ferry/git-cache \
    FERRY_BACKUP_DIR=/var/lib/ferry/backups
RUN mkdir -p /var/lib/ferry && chown node:node /var/lib/ferry

USER node
# What `npx ferry worker` runs, started directly so the worker itself gets SIGTERM and drains
# (under npx, npm's `sh -c` would take the signal and leave the worker to be killed).
CMD ["node", "bin/ferry.js", "worker"]
