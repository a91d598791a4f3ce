import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
export default {
	preprocess: vitePreprocess(),
	kit: {
		adapter: adapter({ out: 'build' }),
		alias: {
			// The ticket vocabulary (statuses, priorities, lifecycle actions) is defined once,
			// beside the workflow, and shared with the API; the portal reads the same module.
			$domain: '../workflows/domain',
			// The API's request and response shapes and its error class, the same module the API compiles against.
			$contract: '../api/contract'
		}
	}
};
