export { mergeConfig } from './layers';
export { validateConfig } from './problems';
export { machineConfigLocation, userConfigPath } from './paths';
export { loadConfig, resolveConfigPath, type ConfigSources, type LoadedConfig } from './load';
export { currentStartupDecision, type StartupDecision } from './startup';
export { UserSettings, type UserSettingsOptions } from './user-settings';
