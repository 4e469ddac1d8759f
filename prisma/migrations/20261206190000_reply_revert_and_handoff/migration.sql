-- "This was not me": every change applied from an email reply can be reverted once by a signed link
-- in its confirmation. The link is HMAC(APP_SECRET, "revert:<nonce>"); only its SHA-256 is kept.
CREATE TABLE "ReplyRevert" (
    "id" SERIAL NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "requestId" INTEGER NOT NULL,
    "inboundMessageId" INTEGER,
    "appliedAt" TIMESTAMPTZ(3) NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "usedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ReplyRevert_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "ReplyRevert_tokenHash_key" ON "ReplyRevert"("tokenHash");
CREATE INDEX "ReplyRevert_requestId_idx" ON "ReplyRevert"("requestId");

ALTER TABLE "ReplyRevert" ADD CONSTRAINT "ReplyRevert_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "ReportRequest"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "ReplyRevert" ADD CONSTRAINT "ReplyRevert_inboundMessageId_fkey" FOREIGN KEY ("inboundMessageId") REFERENCES "InboundMessage"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- The SMTP window: set just before a message is handed to the SMTP server, so a worker that dies
-- before the server answers leaves a trace; such a message is sent once more and counted.
ALTER TABLE "OutboxMessage" ADD COLUMN "handingAt" TIMESTAMPTZ(3), ADD COLUMN "possiblyTwice" BOOLEAN NOT NULL DEFAULT false;
