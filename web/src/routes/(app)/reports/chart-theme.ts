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

/**
 * The page's colours as the canvas needs them. The tokens are light-dark() pairs, which a
 * custom property keeps unresolved, so each is resolved by the browser on a probe element
 * inside the chart (which inherits the page's color-scheme) and read back as rgb().
 */
export function themeColours(element: Element): ThemeColours {
	const probe = document.createElement('span');
	probe.hidden = true;
	element.parentElement?.appendChild(probe);
	const read = (name: string, fallback: string) => {
		probe.style.color = `var(${name}, ${fallback})`;
		return getComputedStyle(probe).color || fallback;
	};
	try {
		return { text: read('--color-text', '#172033'), muted: read('--color-muted', '#5a6478'), grid: read('--color-border', 'rgba(127,127,127,0.3)') };
	} finally {
		probe.remove();
	}
}
