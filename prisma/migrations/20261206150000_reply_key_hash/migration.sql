-- Reply keys become secrets like answer links: only their SHA-256 is kept. A key made before this
-- (16 random characters) keeps working for replies to the mail that carried it; the service
-- derives each request's new key from its nonce and fills in "replyKeyHash" when it starts.
ALTER TABLE "ReportRequest" ADD COLUMN "replyKeyHash" TEXT, ADD COLUMN "legacyReplyKeyHash" TEXT;

UPDATE "ReportRequest" SET "legacyReplyKeyHash" = encode(sha256(convert_to("replyKey", 'UTF8')), 'hex');

DROP INDEX "ReportRequest_replyKey_key";
ALTER TABLE "ReportRequest" DROP COLUMN "replyKey";

CREATE UNIQUE INDEX "ReportRequest_replyKeyHash_key" ON "ReportRequest"("replyKeyHash");
CREATE UNIQUE INDEX "ReportRequest_legacyReplyKeyHash_key" ON "ReportRequest"("legacyReplyKeyHash");

-- Mail already sent no longer shows its reply address to whoever can read the outbox; mail still
-- waiting keeps it, since it is sent as written.
UPDATE "OutboxMessage" SET "replyTo" = NULL, data = data - 'replyAddress' WHERE status <> 'pending' AND "replyTo" IS NOT NULL;

-- A submitted instance of the answer form: a second POST of the same instance applies nothing.
CREATE TABLE "FormSubmission" (
    "tokenHash" TEXT NOT NULL,
    "requestId" INTEGER NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "FormSubmission_pkey" PRIMARY KEY ("tokenHash")
);

CREATE INDEX "FormSubmission_requestId_idx" ON "FormSubmission"("requestId");

ALTER TABLE "FormSubmission" ADD CONSTRAINT "FormSubmission_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "ReportRequest"("id") ON DELETE CASCADE ON UPDATE CASCADE;
