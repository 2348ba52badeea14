# The image compose.yaml runs the three services (and the topic set-up) from: the project's code
# with its npm dependencies fetched at build time, so that no container fetches anything when it
# starts. Build it with `docker compose build`; DENO_IMAGE picks the Deno base image.
ARG DENO_IMAGE=denoland/deno:2.9.6
FROM ${DENO_IMAGE}
WORKDIR /app
COPY deno.json deno.lock ./
COPY shared/ shared/
COPY services/ services/
COPY tasks/create_topics.ts tasks/
# The producer's outbox lives in .data (a volume in compose.yaml), written by the deno user.
RUN mkdir .data && chown deno:deno .data
# The official image's unprivileged user; DENO_DIR (/deno-dir) is its own.
USER deno
RUN deno cache --frozen services/producer/main.ts services/inventory/main.ts \
  services/analytics/main.ts tasks/create_topics.ts
