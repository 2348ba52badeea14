# A local stand-in for the denoland/deno image, for machines that cannot pull it: a Debian base
# with the Deno binary the project pins (tools/deno/package.json), laid out like the official
# image (deno on the PATH, DENO_DIR=/deno-dir, a `deno` user). Built by `deno task compose:test`
# under its own local name; never tagged as the official image.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY deno /usr/bin/deno
# The host's certificate authorities, so that building the app image reaches the npm registry
# from machines whose HTTPS goes through a proxy of their own.
COPY host-ca.pem /etc/ssl/certs/host-ca.pem
RUN chmod 755 /usr/bin/deno \
  && groupadd --gid 1993 deno && useradd --uid 1993 --gid deno deno \
  && mkdir /deno-dir && chown deno:deno /deno-dir
ENV DENO_DIR=/deno-dir DENO_CERT=/etc/ssl/certs/host-ca.pem
CMD ["deno", "--version"]
