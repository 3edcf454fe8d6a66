# The Portcullis container image: the CLI, the admission webhook (`webhook serve`) and `db update`, as the
# manifests from `portcullis webhook manifests` run it (image ghcr.io/portcullis/portcullis:<version>).
#   docker build -t ghcr.io/portcullis/portcullis:0.1.0 .
# Two stages: the build (npm ci, the esbuild bundle, native better-sqlite3 compiled for Node 24 on Debian 12),
# then a distroless Node 24 / Debian 12 runtime with no shell and no package manager. Both bases are pinned by
# digest (see README "Container image" for where the digests come from and how to bump them).

FROM node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d AS build
WORKDIR /src
COPY package.json package-lock.json ./
# dependencies first (a cached layer while only sources change); `prepare` (the build) runs after COPY below
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM gcr.io/distroless/nodejs24-debian12@sha256:b35a10df56aa17825e81e836ff70fe3c27002809dd94e6bfd655ed05bac52230
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/bin/portcullis.js ./bin/portcullis.js
COPY --from=build /src/dist ./dist
COPY --from=build /src/core/rules ./core/rules
COPY --from=build /src/core/schema ./core/schema
COPY --from=build /src/node_modules ./node_modules
# non-root (distroless "nonroot", 65532, as the manifests' runAsUser); nothing in /app is writable, so the root
# filesystem can be read-only: the DB and temporary files go to mounted volumes (/var/lib/portcullis, /tmp)
USER 65532:65532
ENV NODE_ENV=production HOME=/tmp PORTCULLIS_DB=/var/lib/portcullis/db.sqlite
# Kubernetes probes /healthz and /readyz over HTTPS (see the manifests); the image has no shell or curl to run
# a Docker HEALTHCHECK with, so it declares none on purpose.
HEALTHCHECK NONE
EXPOSE 8443
ENTRYPOINT ["/nodejs/bin/node", "/app/bin/portcullis.js"]
CMD ["--help"]
