import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';

/** Hash history: the app never navigates its window away from index.html. */
export const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/scan' },
  { path: '/scan', name: 'scan', component: () => import('./views/ScanView.vue'), meta: { navKey: 'nav.scan' } },
  {
    path: '/patient',
    name: 'patient',
    component: () => import('./views/PatientView.vue'),
    meta: { navKey: 'nav.patient' },
  },
  {
    path: '/additions',
    name: 'additions',
    component: () => import('./views/AdditionsView.vue'),
    meta: { navKey: 'nav.additions' },
  },
  { path: '/audit', name: 'audit', component: () => import('./views/AuditView.vue'), meta: { navKey: 'nav.audit' } },
  {
    path: '/diagnostics',
    name: 'diagnostics',
    component: () => import('./views/DiagnosticsView.vue'),
    meta: { navKey: 'nav.diagnostics' },
  },
  {
    path: '/settings',
    name: 'settings',
    component: () => import('./views/SettingsView.vue'),
    meta: { navKey: 'nav.settings' },
  },
  { path: '/signin', name: 'signin', component: () => import('./views/SignInView.vue') },
  { path: '/:pathMatch(.*)*', redirect: '/scan' },
];

export const router = createRouter({ history: createWebHashHistory(), routes });
