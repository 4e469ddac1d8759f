import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPORT_LANGUAGES } from '../annual-report/annual-report.content.js';
import { LANGUAGES } from '../plan/plan-file.schema.js';
import {
  DEFAULT_I18N_DIR,
  I18n,
  LOCALES,
  messagesOf,
  NAMESPACE_NAMES,
  NAMESPACES,
  placeholdersOf,
  readResources,
  t,
  type Message,
  type Namespace,
} from './i18n.js';

const TEMPLATES = resolve(import.meta.dirname, '../../templates');
const raw = (language: string, ns: Namespace): Record<string, string> =>
  JSON.parse(readFileSync(join(DEFAULT_I18N_DIR, language, `${ns}.json`), 'utf8')) as Record<string, string>;
const formsOf = (message: Message): string[] =>
  typeof message === 'string' ? [message] : Object.values(message).filter((text): text is string => text !== undefined);

describe('the texts in templates/i18n', () => {
  it('has a folder per language and only the namespace files NAMESPACES lists for it', () => {
    expect(readdirSync(DEFAULT_I18N_DIR).sort()).toEqual([...LANGUAGES].sort());
    for (const language of LANGUAGES) {
      const expected = NAMESPACE_NAMES.filter((ns) => (NAMESPACES[ns] as readonly string[]).includes(language)).map((ns) => `${ns}.json`);
      expect([language, readdirSync(join(DEFAULT_I18N_DIR, language)).sort()]).toEqual([language, expected.sort()]);
    }
  });

  describe.each(NAMESPACE_NAMES.flatMap((ns) => NAMESPACES[ns].map((language) => [ns, language] as const)))('%s in %s', (ns, language) => {
    const english = messagesOf(raw('en', ns));
    const own = messagesOf(raw(language, ns));

    it('has every key of English and no others, in the same order', () => {
      expect(Object.keys(english).filter((key) => !Object.hasOwn(own, key))).toEqual([]);
      expect(Object.keys(own).filter((key) => !Object.hasOwn(english, key))).toEqual([]);
      expect(Object.keys(own)).toEqual(Object.keys(english));
    });

    it('has no empty text, and exactly the plural forms the language has', () => {
      const categories = new Intl.PluralRules(LOCALES[language]).resolvedOptions().pluralCategories;
      for (const [key, value] of Object.entries(english)) {
        const text = own[key];
        if (text === undefined) continue; // reported above
        expect([key, typeof text]).toEqual([key, typeof value]);
        for (const form of formsOf(text)) expect([key, form.trim().length > 0]).toEqual([key, true]);
        if (typeof text !== 'string') expect([key, Object.keys(text).sort()]).toEqual([key, [...categories].sort()]);
      }
    });

    it('keeps the placeholders of the English text, and every brace is a {name} placeholder', () => {
      for (const [key, value] of Object.entries(english)) {
        const text = own[key];
        if (text === undefined) continue;
        expect([key, [...placeholdersOf(text)].sort()]).toEqual([key, [...placeholdersOf(value)].sort()]);
        for (const form of formsOf(text)) expect([key, form.replace(/\{\w+\}/g, '').match(/[{}]/g) ?? []]).toEqual([key, []]);
      }
    });
  });

  it('has every key a template asks for with {{t "…"}}', () => {
    const english = (namespaces: Namespace[]) => new Set(namespaces.flatMap((ns) => Object.keys(messagesOf(raw('en', ns)))));
    const used = (dir: string) =>
      readdirSync(join(TEMPLATES, dir), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.hbs'))
        .flatMap((file) =>
          [...readFileSync(join(TEMPLATES, dir, file), 'utf8').matchAll(/\{\{t "([^"]+)"/g)].map((m) => `${file}: ${m[1]}`),
        );
    const mail = english(['mail']);
    const pages = english(['dashboard', 'form', 'mail']);
    expect(used('mail').filter((use) => !mail.has(use.split(': ')[1]!))).toEqual([]);
    expect(used('pages').filter((use) => !pages.has(use.split(': ')[1]!))).toEqual([]);
    expect(used('mail').length + used('pages').length).toBeGreaterThan(100);
  });

  it('has every key the report renderers ask for, in every report language', () => {
    expect([...NAMESPACES.report]).toEqual([...REPORT_LANGUAGES]);
    const english = new Set(Object.keys(messagesOf(raw('en', 'report'))));
    const render = resolve(import.meta.dirname, '../annual-report/render');
    const used = readdirSync(render)
      .filter((file) => file.endsWith('.ts'))
      .flatMap((file) => [...readFileSync(join(render, file), 'utf8').matchAll(/\bt\((?:lang, )?'([\w.]+)'/g)].map((m) => m[1]!));
    expect(used.length).toBeGreaterThan(50);
    expect(used.filter((key) => !english.has(key))).toEqual([]);
  });
});

describe('I18n', () => {
  const i18n = I18n.load({ timeZone: 'Europe/Copenhagen' });

  it('translates a namespaced key with the pure t, and with a namespace given', () => {
    expect(t('da', 'mail:state.completed')).toBe('Gennemført');
    expect(i18n.t('sv', 'state.completed', {}, 'mail')).toBe('Genomförd');
    expect(i18n.translator(['dashboard', 'form', 'mail'])('nb', 'state.delayed')).toBe(i18n.t('nb', 'mail:state.delayed'));
  });

  it('fails loudly for a key English lacks, instead of showing the key', () => {
    expect(() => t('da', 'mail:no.such.key')).toThrow('No mail text "no.such.key" in templates/i18n/en/mail.json');
    expect(() => i18n.t('en', 'no.such.key', {}, ['dashboard', 'form', 'mail'])).toThrow('No page text "no.such.key"');
    expect(() => i18n.t('en', 'no.such.key')).toThrow('No text "no.such.key" in any namespace');
  });

  it('fails loudly for a plural text without a count and for a placeholder without a value', () => {
    expect(() => i18n.t('fi', 'mail:status_request.count')).toThrow('has plural forms and needs a count');
    expect(() => i18n.t('fi', 'mail:status_request.deadline')).toThrow('Mail text "status_request.deadline" needs a value for {deadline}');
  });

  it('writes an empty string for a null value, a year as it is and a date as a long date', () => {
    expect(i18n.t('en', 'mail:greeting', { organisation: null })).toBe('Dear ,');
    expect(i18n.t('da', 'mail:status_request.deadline', { deadline: new Date('2026-11-30T23:30:00Z') })).toBe(
      'Vi beder jer svare senest 1. december 2026.',
    );
  });

  it("picks plural forms with the language's rules, from a count given as a number or a string", () => {
    expect(i18n.t('fi', 'mail:status_request.count', { count: 1 })).toBe('Kyselyssä on 1 välitavoite.');
    expect(i18n.t('fi', 'mail:status_request.count', { count: 0 })).toBe('Kyselyssä on 0 välitavoitetta.');
    expect(i18n.t('sv', 'mail:status_request.count', { count: '2' })).toBe('Vi ber om status för 2 milstolpar.');
  });

  it('leaves a value that looks like a placeholder alone', () => {
    expect(i18n.t('en', 'mail:greeting', { organisation: '{organisation} $t(signoff)' })).toBe('Dear {organisation} $t(signoff),');
  });

  it('writes numbers, percentages and dates with Intl for the language', () => {
    const nbsp = '\u00a0';
    expect(i18n.percent('sv', 0.4857)).toBe(`48,6${nbsp}%`);
    expect(i18n.percent('da', 0.4857)).toBe(`48,6${nbsp}%`);
    expect(i18n.percent('nb', 0.4857)).toBe(`48,6${nbsp}%`);
    expect(i18n.percent('fi', 0.4857)).toBe(`48,6${nbsp}%`);
    expect(i18n.percent('en', 0.4857)).toBe('48.6%');
    expect(i18n.percent('da', 1, { maximumFractionDigits: 1 })).toBe(`100${nbsp}%`);
    expect(i18n.number('da', 1234.5)).toBe('1.234,5');
    expect(i18n.number('en', 1234)).toBe('1,234');
    expect(() => i18n.number('en', 'x')).toThrow('Not a number');
    expect(i18n.date('fi', '2026-12-01T12:00:00Z')).toBe('1. joulukuuta 2026');
    expect(i18n.day('sv', '2026-12-01')).toBe('1 december 2026');
    expect(i18n.locale('nb')).toBe('nb-NO');
    expect(i18n.locale('xx')).toBe('en-GB');
  });

  describe('with a changed copy of the texts', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'i18n-'));
      cpSync(DEFAULT_I18N_DIR, dir, { recursive: true });
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('reads English for a key a language lacks (which the checks above catch before it ships)', () => {
      const file = join(dir, 'da', 'mail.json');
      const { signoff: _, ...rest } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      writeFileSync(file, JSON.stringify(rest));
      expect(I18n.load({ dir }).t('da', 'mail:signoff')).toBe('Kind regards,');
    });

    it('stops at load on a missing or malformed file, naming it', () => {
      writeFileSync(join(dir, 'sv', 'mail.json'), JSON.stringify({ greeting: { one: 'x' } }));
      expect(() => readResources(dir)).toThrow(/sv\/mail\.json is not a valid i18next strings file/);
      rmSync(join(dir, 'sv', 'mail.json'));
      expect(() => readResources(dir)).toThrow(/sv\/mail\.json is missing/);
    });
  });
});
