import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/config.module.js';
import type { FileKind } from '../config/configuration.js';
import type { Db } from '../database/database.js';
import type { AttachmentSource } from '../generated/db/enums.js';
import { FileStore, newKey } from '../storage/file-store.js';
import { EvidenceRepository } from './evidence.repository.js';
import { extensionOf, KIND_EXTENSIONS, KIND_TYPES, sniff } from './file-kinds.js';
import { cleanFileName } from './file-name.js';

/** A file as it arrived: from a reply's MIME part or a form's upload. */
export interface IncomingFile {
  name: string;
  content: Buffer;
  /** More bytes came than UPLOAD_MAX_BYTES; `content` holds only the first of them. */
  truncated?: boolean;
  /** The milestones it documents (a form's field names them; a reply's are known when it is applied). */
  milestoneIds?: number[];
}

/** A file fit to keep: its kind found from its content, its name cleaned. */
export interface CheckedFile {
  fileName: string;
  kind: FileKind;
  content: Buffer;
  milestoneIds: number[];
  /** The name was cleaned of a path or control characters. */
  renamed: boolean;
}

export type FileProblemCode = 'too_large' | 'not_allowed' | 'mismatch' | 'bad_name' | 'too_many' | 'empty';

/** Why a file was not kept: a text key's code with its values, and the English for logs and review. */
export interface FileProblem {
  code: FileProblemCode;
  name: string;
  milestoneIds: number[];
  params: Record<string, string | number>;
  message: string;
}

/** A checked file in the store, not yet recorded. */
export interface StoredFile extends CheckedFile {
  storageKey: string;
}

/**
 * Files kept as evidence. Checked first (count, size, kind by content, the name against the
 * kind), then written to the file store, then recorded in the caller's transaction; when the
 * recording fails the stored files are removed again, so a failure leaves nothing behind.
 */
@Injectable()
export class EvidenceService {
  private readonly logger = new Logger(EvidenceService.name);

  constructor(
    private readonly store: FileStore,
    private readonly files: EvidenceRepository,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  get limits() {
    return {
      maxBytes: this.config.get('UPLOAD_MAX_BYTES'),
      maxFiles: this.config.get('UPLOAD_MAX_FILES'),
      kinds: this.config.get('UPLOAD_TYPES'),
    };
  }

  /**
   * Which files can be kept and why the others cannot. `strictNames` refuses a name with a path or
   * control characters (the form, where the sender can rename and send again); otherwise such a
   * name is cleaned and the file kept (a reply, which cannot be asked again).
   */
  check(incoming: IncomingFile[], options: { strictNames: boolean }): { accepted: CheckedFile[]; problems: FileProblem[] } {
    const { maxBytes, maxFiles, kinds } = this.limits;
    const accepted: CheckedFile[] = [];
    const problems: FileProblem[] = [];
    const refuse = (file: IncomingFile, name: string, code: FileProblemCode, params: Record<string, string | number>, message: string) =>
      problems.push({ code, name, milestoneIds: file.milestoneIds ?? [], params: { name, ...params }, message: `"${name}": ${message}` });
    for (const file of incoming) {
      const { name, unsafe } = cleanFileName(file.name);
      const kind = sniff(file.content);
      const extension = extensionOf(name);
      if (accepted.length >= maxFiles) refuse(file, name, 'too_many', { max: maxFiles }, `more than ${maxFiles} files at once`);
      else if (file.truncated || file.content.length > maxBytes)
        refuse(file, name, 'too_large', { max: megabytes(maxBytes) }, `larger than ${megabytes(maxBytes)} MB`);
      else if (file.content.length === 0) refuse(file, name, 'empty', {}, 'the file is empty');
      else if (unsafe && options.strictNames)
        refuse(file, name, 'bad_name', {}, 'the file name has a path or control characters; rename the file');
      else if (kind === null || !kinds.includes(kind))
        refuse(file, name, 'not_allowed', { kinds: kinds.join(', ').toUpperCase() }, `not a file of an allowed kind (${kinds.join(', ')})`);
      else if (extension !== null && !KIND_EXTENSIONS[kind].includes(extension))
        refuse(
          file,
          name,
          'mismatch',
          { extension: extension.toUpperCase(), kind: kind.toUpperCase() },
          `named .${extension} but its content is ${kind.toUpperCase()}`,
        );
      else
        accepted.push({
          fileName: extension === null ? `${name}.${KIND_EXTENSIONS[kind][0]}` : name,
          kind,
          content: file.content,
          milestoneIds: file.milestoneIds ?? [],
          renamed: unsafe,
        });
    }
    return { accepted, problems };
  }

  /**
   * Stores the files, then runs `record` (which writes the caller's rows and these files' rows in
   * one transaction through `save`); if that fails, the stored files are removed and the error
   * passes on.
   */
  async keep<T>(files: CheckedFile[], record: (save: (db: Db, link: FileLink) => Promise<number[]>) => Promise<T>): Promise<T> {
    const stored: StoredFile[] = [];
    try {
      for (const file of files) {
        const storageKey = newKey(randomBytes);
        await this.store.put(storageKey, file.content);
        stored.push({ ...file, storageKey });
      }
      return await record((db, link) => this.save(db, stored, link));
    } catch (error) {
      await this.discard(stored);
      throw error;
    }
  }

  /** Links the files of an inbound message to the milestones its reply answered (accepted in review). */
  linkMessage(db: Db, inboundMessageId: number, milestoneIds: number[]): Promise<void> {
    return this.files.linkMessage(db, inboundMessageId, milestoneIds);
  }

  async read(id: number) {
    const file = await this.files.find(id);
    if (!file) return null;
    const content = await this.store.get(file.storageKey);
    return content ? { ...file, content } : null;
  }

  ofMilestone(milestoneId: number) {
    return this.files.ofMilestone(milestoneId);
  }

  ofMessages(inboundMessageIds: number[]) {
    return this.files.ofMessages(inboundMessageIds);
  }

  ofOrganisation(organisationId: number, milestoneIds: number[]) {
    return this.files.ofOrganisation(organisationId, milestoneIds);
  }

  ofPlan(planId: number, until: Date) {
    return this.files.ofPlan(planId, until);
  }

  private save(db: Db, stored: StoredFile[], link: FileLink): Promise<number[]> {
    const createdAt = this.clock.now();
    return this.files.insert(
      db,
      stored.map((file) => ({
        storageKey: file.storageKey,
        fileName: file.fileName,
        contentType: KIND_TYPES[file.kind],
        size: file.content.length,
        sha256: createHash('sha256').update(file.content).digest('hex'),
        source: link.source,
        requestId: link.requestId,
        inboundMessageId: link.inboundMessageId ?? null,
        createdAt,
        milestoneIds: [...file.milestoneIds, ...(link.milestoneIds ?? [])],
      })),
    );
  }

  private async discard(stored: StoredFile[]): Promise<void> {
    for (const file of stored) {
      try {
        await this.store.delete(file.storageKey);
      } catch (error) {
        this.logger.warn(`kept file ${file.storageKey} could not be removed after a failure: ${(error as Error).message}`);
      }
    }
  }
}

/** Where recorded files belong. */
export interface FileLink {
  source: AttachmentSource;
  requestId: number | null;
  inboundMessageId?: number | null;
  /** Milestones every file documents, beside each file's own. */
  milestoneIds?: number[];
}

const megabytes = (bytes: number) => Math.round((bytes / (1024 * 1024)) * 10) / 10;
