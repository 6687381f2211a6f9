# aigw on Node 24: the TypeScript sources run as they are (Node strips the types).

FROM node:24-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; the Node and Deno devDependencies stay out of the image.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
# Node's compile cache, filled here for the CMD's flags and user, so that no start loads the TypeScript
# stripper (docs/decisions.md, "Compile cache"); read-only at run time is fine.
ENV NODE_COMPILE_CACHE=/app/.cache/node-compile-cache
RUN mkdir -p /app/.cache && chown node /app/.cache
USER node
RUN node --max-semi-space-size=4 --heap-growing-percent=50 src/warmCompileCache.mjs
EXPOSE 5052 8082
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.AIGW_FASTAPI__API_PORT || 5052) + '/monitoring/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
# The heap settings of `npm start` (docs/decisions.md, "Heap sizing and malloc"): a 4 MB young
# generation (V8's default grows it to 32 MB a half and keeps it); an old generation that grows by
# half its live size before the next full GC instead of up to four times; glibc's malloc with two
# arenas, and blocks over 128 KB mapped and given back when freed instead of kept.
ENV GLIBC_TUNABLES=glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072
CMD ["node", "--max-semi-space-size=4", "--heap-growing-percent=50", "src/start.mjs"]
