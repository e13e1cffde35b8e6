// The official Segment browser library, exposed as a global for the Playwright test page.
import { AnalyticsBrowser } from '@segment/analytics-next'
window.AnalyticsBrowser = AnalyticsBrowser
