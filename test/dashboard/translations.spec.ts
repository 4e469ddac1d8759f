import { readFileSync } from 'node:fs';
import { messagesOf, placeholdersOf, type Message } from '../../src/i18n/i18n.js';

/**
 * The page texts (templates/i18n/<language>/form.json, dashboard.json and formula.json) for the
 * answer form, the secretariat's dashboard and the formulas of its figures.
 * A missing key would quietly fall back to English, so a Danish, Swedish, Norwegian or Finnish
 * officer would get a page in two languages; these checks keep every file complete.
 */
const I18N = new URL('../../templates/i18n/', import.meta.url);
const LANGUAGES = ['da', 'sv', 'nb', 'fi'] as const;
const LOCALES = { da: 'da-DK', sv: 'sv-SE', nb: 'nb-NO', fi: 'fi-FI' } as const;

// The answer form's texts, then the dashboard's and the formulas', plural forms ("key_one", "key_other") grouped under their key.
const stringsOf = (language: string): Record<string, Message> =>
  messagesOf({
    ...JSON.parse(readFileSync(new URL(`${language}/form.json`, I18N), 'utf8')),
    ...JSON.parse(readFileSync(new URL(`${language}/dashboard.json`, I18N), 'utf8')),
    ...JSON.parse(readFileSync(new URL(`${language}/formula.json`, I18N), 'utf8')),
  });
const formsOf = (message: Message): string[] =>
  typeof message === 'string' ? [message] : Object.values(message).filter((text): text is string => text !== undefined);
const sorted = (names: Set<string>) => [...names].sort();

describe('the page texts', () => {
  const english = stringsOf('en');

  it('has English texts to compare with', () => {
    expect(Object.keys(english).length).toBeGreaterThan(100);
  });

  describe.each(LANGUAGES)('in %s', (language) => {
    const strings = stringsOf(language);

    it('has every English key and no others, in the order of en.json', () => {
      expect(Object.keys(english).filter((key) => !Object.hasOwn(strings, key))).toEqual([]);
      expect(Object.keys(strings).filter((key) => !Object.hasOwn(english, key))).toEqual([]);
      expect(Object.keys(strings)).toEqual(Object.keys(english));
    });

    it('has no empty text, and every plural form the language needs', () => {
      const categories = new Intl.PluralRules(LOCALES[language]).resolvedOptions().pluralCategories;
      for (const [key, value] of Object.entries(english)) {
        const own = strings[key];
        if (own === undefined) continue; // reported by the key check
        expect([key, typeof own]).toEqual([key, typeof value]);
        for (const text of formsOf(own)) expect([key, text.trim().length > 0]).toEqual([key, true]);
        if (typeof own !== 'string') {
          for (const category of categories) expect([key, category, typeof own[category]]).toEqual([key, category, 'string']);
        }
      }
    });

    it('keeps the placeholders of the English text, and adds none', () => {
      for (const [key, value] of Object.entries(english)) {
        const own = strings[key];
        if (own === undefined) continue;
        const expected = placeholdersOf(value);
        // Every placeholder of the English text is used somewhere in the translation…
        expect([key, sorted(placeholdersOf(own))]).toEqual([key, sorted(expected)]);
        // …and no single form (a plural's "one", say) asks for a value the template does not pass.
        for (const text of formsOf(own)) {
          expect([key, sorted(placeholdersOf(text)).filter((name) => !expected.has(name))]).toEqual([key, []]);
        }
        // Placeholders are {name} with a plain ASCII name; any other brace ("{{year}}", "{år}",
        // "{count") would be printed as it is rather than filled.
        for (const text of formsOf(own)) expect([key, text.replace(/\{\w+\}/g, '').match(/[{}]/g) ?? []]).toEqual([key, []]);
      }
    });
  });
});
