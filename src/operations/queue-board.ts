import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response, Router } from 'express';
import { SESSION_COOKIE } from '../auth/auth.guard.js';
import { AuthService } from '../auth/auth.service.js';
import { atLeast } from '../auth/principal.js';
import { readCookie } from '../common/cookies.js';
import { AppConfig } from '../config/config.module.js';
import { assertSameOrigin } from '../auth/same-origin.js';
import { QUEUE_NAMES } from '../queue/jobs.js';
import { QueueService } from '../queue/queue.service.js';

export const QUEUE_BOARD_PATH = '/admin/queues';

/**
 * bull-board for the queues, for admins only. It is an Express app of its own, so it is mounted
 * beside Nest's routes with its own check of the session, the same check the guard makes.
 */
@Injectable()
export class QueueBoard {
  constructor(
    private readonly queues: QueueService,
    private readonly auth: AuthService,
    private readonly config: AppConfig,
  ) {}

  router(): Router {
    const serverAdapter = new ExpressAdapter();
    serverAdapter.setBasePath(QUEUE_BOARD_PATH);
    createBullBoard({
      queues: QUEUE_NAMES.map((name) => new BullMQAdapter(this.queues.queue(name))),
      serverAdapter,
      // The board is a page of its own: its menu leads back to the dashboard.
      options: { uiConfig: { boardTitle: 'handlingsplan', miscLinks: [{ text: 'Back to the dashboard', url: '/' }] } },
    });
    return serverAdapter.getRouter() as Router;
  }

  readonly adminsOnly = (req: Request, res: Response, next: NextFunction): void => {
    const token = readCookie(req, SESSION_COOKIE);
    void (token ? this.auth.sessionPrincipal(token) : Promise.resolve(null))
      .then((principal) => {
        if (!principal) return res.redirect(303, `/login?next=${encodeURIComponent(QUEUE_BOARD_PATH)}`);
        if (!atLeast(principal.role, 'admin')) return res.status(403).type('text').send('The queue board is for admins.');
        // bull-board's writes (retry, clean, pause, empty …) carry no CSRF value; its own page always sends Origin.
        if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method)) {
          try {
            assertSameOrigin(req, this.config.get('PUBLIC_URL'), { required: true });
          } catch (refusal) {
            return res
              .status(403)
              .type('text')
              .send((refusal as Error).message);
          }
        }
        next();
      })
      .catch(next);
  };
}
