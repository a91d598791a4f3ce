/** The person's theme choice: 'system' follows prefers-color-scheme; the others pin one. */
export type Theme = 'system' | 'light' | 'dark';

export const THEME_COOKIE = 'ticketing_theme';

export const themeOf = (value: string | undefined | null): Theme => (value === 'light' || value === 'dark' ? value : 'system');

/** The attribute the server writes on <html>, so the first paint is already in the chosen theme. */
export const themeAttribute = (theme: Theme) => (theme === 'system' ? '' : ` data-theme="${theme}"`);
