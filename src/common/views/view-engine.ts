import type { NestExpressApplication } from '@nestjs/platform-express';
import hbs from 'hbs';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROJECT_ROOT } from '../project-root';

export const VIEWS_DIR = join(PROJECT_ROOT, 'views');

/**
 * Handlebars with one layout (views/layouts/main.hbs) and every file under views/partials registered by its path,
 * e.g. `{{> auth/field-errors}}`. Output is escaped by `{{ }}`; only the layout's `{{{body}}}` is raw.
 * Templates are read and compiled once, in every environment (partials are registered at start-up anyway):
 * restart the app to see a changed template.
 */
export function configureViews(app: NestExpressApplication): void {
  const engine = hbs.create();
  registerPartials(engine, join(VIEWS_DIR, 'partials'));
  engine.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  app.engine('hbs', engine.__express);
  app.setBaseViewsDir(VIEWS_DIR);
  app.setViewEngine('hbs');
  app.set('view options', { layout: 'layouts/main' });
  app.set('view cache', true);
}

function registerPartials(engine: ReturnType<typeof hbs.create>, dir: string): void {
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.hbs')) continue;
    const file = join(entry.parentPath, entry.name);
    const name = relative(dir, file).replace(/\\/g, '/').replace(/\.hbs$/, '');
    engine.registerPartial(name, readFileSync(file, 'utf8'));
  }
}
