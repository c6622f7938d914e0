import type { NestExpressApplication } from '@nestjs/platform-express';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** Every route the Express router knows, as `METHOD /path`, read from the router itself. */
export function routesOf(app: NestExpressApplication): { method: string; path: string }[] {
  const router = (app.getHttpAdapter().getInstance() as { router: { stack: Layer[] } }).router;
  return router.stack.flatMap((layer) =>
    layer.route
      ? Object.keys(layer.route.methods)
          .filter((m) => m !== '_all')
          .map((m) => ({ method: m.toUpperCase(), path: layer.route!.path }))
      : [],
  );
}

export function stateChangingRoutes(app: NestExpressApplication) {
  return routesOf(app).filter((r) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method));
}
