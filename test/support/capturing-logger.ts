import { LoggerService } from '@nestjs/common';

/** Keeps every log line (as JSON text) so a test can search what the app wrote. */
export class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];

  log(...args: unknown[]) {
    this.capture(args);
  }
  error(...args: unknown[]) {
    this.capture(args);
  }
  warn(...args: unknown[]) {
    this.capture(args);
  }
  debug(...args: unknown[]) {
    this.capture(args);
  }
  verbose(...args: unknown[]) {
    this.capture(args);
  }

  text(): string {
    return this.lines.join('\n');
  }

  private capture(args: unknown[]) {
    this.lines.push(JSON.stringify(args));
  }
}
