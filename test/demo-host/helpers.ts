// The demo host's tests use the shared build and login; `origin` is what a browser on the host sends.
export { build, login } from '../helpers/build.ts'

export const origin = 'http://localhost:80'
