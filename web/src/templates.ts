// Quick-start templates of the create form. Metric ids are those of the default catalogue; a
// template metric missing from the server's catalogue is simply left unticked.
import type { ExpectedOutcome } from './types';

export interface ExperimentTemplate {
  key: string;
  name: string;
  description: string;
  metrics: string[];
  durationDays: number;
  expectedOutcome: ExpectedOutcome;
  implementationCost?: number;
}

export const TEMPLATES: ExperimentTemplate[] = [
  {
    key: 'button-color',
    name: 'Button Color A/B Test',
    description: 'Testing a high-contrast call-to-action button against the current one on the product page.',
    metrics: ['conversion_rate', 'click_through_rate'],
    durationDays: 14,
    expectedOutcome: 'positive',
    implementationCost: 12000,
  },
  {
    key: 'checkout-flow',
    name: 'Checkout Flow Optimization',
    description: 'A single-page checkout with fewer steps and guest checkout, against the current three-step flow.',
    metrics: ['conversion_rate', 'cart_abandonment_rate', 'average_order_value'],
    durationDays: 21,
    expectedOutcome: 'positive',
    implementationCost: 60000,
  },
  {
    key: 'pricing-page',
    name: 'Pricing Page Layout Test',
    description: 'A three-column pricing table with the recommended plan highlighted, against the current list layout.',
    metrics: ['conversion_rate', 'revenue_per_user', 'customer_lifetime_value'],
    durationDays: 28,
    expectedOutcome: 'positive',
    implementationCost: 25000,
  },
  {
    key: 'navigation-menu',
    name: 'Navigation Menu Test',
    description: 'A simplified top navigation with five categories, against the current mega menu.',
    metrics: ['click_through_rate', 'bounce_rate', 'time_on_page', 'engagement_score'],
    durationDays: 14,
    expectedOutcome: 'neutral',
  },
  {
    key: 'form-fields',
    name: 'Form Fields Validation',
    description: 'Inline validation as users type in the sign-up form, against validation on submit.',
    metrics: ['form_completion_rate', 'conversion_rate'],
    durationDays: 14,
    expectedOutcome: 'positive',
    implementationCost: 8000,
  },
  {
    key: 'landing-hero',
    name: 'Landing Page Hero Section',
    description: 'A product video hero with one clear headline, against the current static image carousel.',
    metrics: ['bounce_rate', 'click_through_rate', 'page_load_time'],
    durationDays: 14,
    expectedOutcome: 'positive',
    implementationCost: 15000,
  },
];
