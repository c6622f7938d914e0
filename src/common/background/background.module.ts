import { Global, Module } from '@nestjs/common';
import { BackgroundTasks } from './background-tasks';

/** Provides BackgroundTasks everywhere: one set of tasks per app, which the mailer waits for when it shuts down. */
@Global()
@Module({ providers: [BackgroundTasks], exports: [BackgroundTasks] })
export class BackgroundModule {}
