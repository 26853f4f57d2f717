# ouwatch container image: the daemon (sidecar, watcher, node reader) and the whole CLI.
#   docker build -t ouwatch:0.1.0 .          (or: podman build -t ouwatch:0.1.0 .)
# The runtime holds the npm package (what `npm pack` ships: bin/, dist/, rules/, fixtures)
# and the production dependencies only: no TypeScript sources, no tsx, no compiler.
# It runs as user 65532 with a read-only root filesystem: the database goes to the volume at
# /var/lib/ouwatch (the working directory), the configuration to /etc/ouwatch.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 downloads a prebuilt addon when it can and compiles otherwise.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY package.json package-lock.json ./
# --ignore-scripts: the project's own `prepare` (the TypeScript build) needs the sources, copied
# after this layer so that a source change does not reinstall; the native addon is built next.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3
COPY README.md LICENSE ./
COPY scripts/build.mjs scripts/import-meta-url.js scripts/sqlite-addon.cjs ./scripts/
COPY bin ./bin
COPY src ./src
COPY rules ./rules
COPY fixtures ./fixtures
# The package's own file list decides what ships (package.json "files"); `npm prune` then
# leaves exactly the production dependencies of package-lock.json, as `npm ci --omit=dev`
# would, without compiling better-sqlite3 a second time.
RUN npm run build \
 && npm pack --ignore-scripts --pack-destination /tmp \
 && mkdir /app \
 && tar -xzf /tmp/ouwatch-*.tgz -C /app --strip-components=1 \
 && npm prune --omit=dev --no-audit --no-fund \
 && mv node_modules /app/node_modules

FROM ${NODE_IMAGE}
ARG NODE_IMAGE
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="ouwatch" \
      org.opencontainers.image.description="Detection pipeline for OpenUnison logs: replayed refresh tokens, new IPs and countries, impossible travel, failure bursts; ends compromised sessions safely." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="${NODE_IMAGE}"
ENV NODE_ENV=production
# A named user (the CLI's --by default reads it), numeric in USER so that Kubernetes can check
# runAsNonRoot.
RUN groupadd --system --gid 65532 ouwatch \
 && useradd --system --uid 65532 --gid 65532 --home-dir /var/lib/ouwatch --no-create-home --shell /usr/sbin/nologin ouwatch \
 && install -d -o 65532 -g 65532 -m 0750 /var/lib/ouwatch
COPY --from=build /app /opt/ouwatch
RUN ln -s /opt/ouwatch/bin/ouwatch.js /usr/local/bin/ouwatch
USER 65532:65532
WORKDIR /var/lib/ouwatch
EXPOSE 9464
ENTRYPOINT ["ouwatch"]
CMD ["--help"]
