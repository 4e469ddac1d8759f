-- Evidence kept: files attached to email replies and uploaded on the link form. The bytes live in
-- the file store (STORAGE_DIR) under a generated key; the database keeps what they are and where
-- they belong: the reply they came with, the request they answered, the milestones they document.
CREATE TYPE "AttachmentSource" AS ENUM ('email_reply', 'link_form');

CREATE TABLE "Attachment" (
    "id" SERIAL NOT NULL,
    "storageKey" TEXT NOT NULL,
    "fileName" TEXT NOT NULL,
    "contentType" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "sha256" TEXT NOT NULL,
    "source" "AttachmentSource" NOT NULL,
    "requestId" INTEGER,
    "inboundMessageId" INTEGER,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Attachment_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "AttachmentMilestone" (
    "attachmentId" INTEGER NOT NULL,
    "milestoneId" INTEGER NOT NULL,

    CONSTRAINT "AttachmentMilestone_pkey" PRIMARY KEY ("attachmentId","milestoneId")
);

CREATE UNIQUE INDEX "Attachment_storageKey_key" ON "Attachment"("storageKey");
CREATE INDEX "Attachment_requestId_idx" ON "Attachment"("requestId");
CREATE INDEX "Attachment_inboundMessageId_idx" ON "Attachment"("inboundMessageId");
CREATE INDEX "AttachmentMilestone_milestoneId_idx" ON "AttachmentMilestone"("milestoneId");

ALTER TABLE "Attachment" ADD CONSTRAINT "Attachment_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "ReportRequest"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "Attachment" ADD CONSTRAINT "Attachment_inboundMessageId_fkey" FOREIGN KEY ("inboundMessageId") REFERENCES "InboundMessage"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "AttachmentMilestone" ADD CONSTRAINT "AttachmentMilestone_attachmentId_fkey" FOREIGN KEY ("attachmentId") REFERENCES "Attachment"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "AttachmentMilestone" ADD CONSTRAINT "AttachmentMilestone_milestoneId_fkey" FOREIGN KEY ("milestoneId") REFERENCES "Milestone"("id") ON DELETE CASCADE ON UPDATE CASCADE;
