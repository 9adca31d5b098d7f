/** bottleneck/light.js (the build the Octokit plugins load) is Bottleneck without clustering: same API, no types of its own. */
declare module 'bottleneck/light.js' {
  import Bottleneck from 'bottleneck';
  export default Bottleneck;
}
