/**
 * Colours for charts that read well on light and dark backgrounds alike (mid-tone
 * hues, checked against both), and the text/grid colours taken from the page's own
 * CSS variables so the axes follow whichever theme the portal shows.
 */
export const PALETTE = ['#4f6bed', '#e0783a', '#2f9e6e', '#c9447a', '#8a63d2', '#c9a227', '#2aa0b8', '#8b8f99'];

export const seriesColour = (index: number): string => PALETTE[index % PALETTE.length]!;

export interface ThemeColours {
	text: string;
	muted: string;
	grid: string;
}

export function themeColours(element: Element): ThemeColours {
	const style = getComputedStyle(element);
	const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
	return {
		text: read('--color-text', style.color || '#172033'),
		muted: read('--color-muted', '#5a6478'),
		grid: read('--color-border', 'rgba(127,127,127,0.3)')
	};
}
